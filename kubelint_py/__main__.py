from kubelint_py.launcher import main

main()
