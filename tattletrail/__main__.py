from tattletrail.cli import main

main()
