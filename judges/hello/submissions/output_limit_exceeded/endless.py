import sys
while True:
    sys.stdout.write("Hello, world!\n" * 1000)
