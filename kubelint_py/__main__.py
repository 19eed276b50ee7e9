from kubelint_py.cli.launcher import main

main()
