from newsstream.cli import main

if __name__ == "__main__":  # not when a process pool re-imports it in a child
    main()
