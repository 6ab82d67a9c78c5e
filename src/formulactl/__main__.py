from formulactl.cli import main

main()
