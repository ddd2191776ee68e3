input()
print("impossible")
