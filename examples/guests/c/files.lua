-- A Lua script doing file work: run as `lua files.lua DIR` with DIR a
-- writable preopened folder. Any failure raises a Lua error, which ends
-- the program with exit code 1.
local dir = assert(arg[1], "usage: files.lua DIR")
local path = dir .. "/notes.txt"

local f = assert(io.open(path, "w"))
for i = 1, 1000 do
  f:write(("line %d\n"):format(i))
end
assert(f:close())

local count, sum = 0, 0
for line in io.lines(path) do
  count = count + 1
  sum = sum + tonumber(line:match("%d+"))
end
assert(count == 1000 and sum == 500500, "read back")

f = assert(io.open(path, "r+"))
local size = assert(f:seek("end"))
assert(f:seek("set", 5) == 5)
assert(f:write("X"))
assert(f:seek("set", 0) == 0)
assert(f:read("l") == "line X", "overwrite in place")
assert(f:close())

f = assert(io.open(path, "a"))
assert(f:write("the end\n"))
assert(f:close())
f = assert(io.open(path, "rb"))
local all = f:read("a")
assert(f:close())
assert(#all == size + 8 and all:sub(-8) == "the end\n", "append")

assert(os.rename(path, dir .. "/renamed.txt"))
assert(io.open(path) == nil, "old name gone")
assert(os.remove(dir .. "/renamed.txt"))
assert(not os.remove(dir .. "/renamed.txt"), "removed twice")
print(("lua: %d lines, sum %d, %d bytes"):format(count, sum, #all))
