# HOSTILE (Python, dangerous): grows a list of 1 MiB byte strings forever.
# Must get: --mem 64M: memory_limit_exceeded.
chunks = []
while True:
    chunks.append(bytearray(1 << 20))
