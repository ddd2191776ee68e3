# Forgets the modulo: group 1 (30 points) only.
n = int(input())
print(n * (n + 1) // 2)
