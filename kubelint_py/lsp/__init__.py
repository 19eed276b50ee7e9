"""The language server (`kubelint-py lsp`); see README.md."""
