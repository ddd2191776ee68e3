import math
n = int(input())
for a in range(math.isqrt(n) + 1):
    b = math.isqrt(n - a * a)
    if b * b == n - a * a:
        print(a, b)
        break
else:
    print("impossible")
