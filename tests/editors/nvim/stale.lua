-- Terminal errors captured before Neovim started: each phase is one Neovim session on the
-- same workspace ($TEAMLORE_TEST_PHASE).
--   first:       both `teamlore run` failures come back; a passing `:terminal` run of one
--                command clears that command's error only.
--   restart:     the cleared error stays away after a restart; `:Teamlore clear` clears the rest.
--   after_clear: nothing cleared comes back; a later failure does.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/harness.lua")

local PHASE = os.getenv("TEAMLORE_TEST_PHASE")
local COMMAND = os.getenv("TEAMLORE_TEST_COMMAND")
local EXPECT = os.getenv("TEAMLORE_TEST_EXPECT") -- a command whose error must be shown
local FIXED = os.getenv("TEAMLORE_TEST_FIXED")

H.run(function()
  H.setup()
  local buf, client = H.open_and_attach()
  local function shown()
    return H.terminal_commands(buf, client)
  end
  -- The start-up replay publishes the errors of all commands of a file at once, so once
  -- the expected one is shown, any other that came back is shown too.
  local last
  local ok, err = pcall(H.wait, 15000, "the replayed error of " .. EXPECT, function()
    last = shown()
    return vim.tbl_contains(last, EXPECT)
  end)
  assert(ok, tostring(err) .. "; shown: " .. vim.inspect(last) .. "; all: " .. vim.inspect(vim.diagnostic.get(buf)))
  H.result.at_start = last
  H.step("replayed")

  if PHASE == "first" then
    H.run_in_terminal("echo an everyday command") -- passes, never failed: the server keeps nothing of it
    local f = assert(io.open(FIXED, "w"))
    f:write("fixed\n")
    f:close()
    H.run_in_terminal(COMMAND)
    H.step("passing :terminal run")
    H.result.after_pass = H.wait(10000, "only the passing command's error to be cleared", function()
      local commands = shown()
      return #commands < #H.result.at_start and commands
    end)
  elseif PHASE == "restart" then
    local messages = H.capture_messages()
    vim.cmd("Teamlore clear")
    H.wait(10000, "the errors to be cleared", function()
      return #shown() == 0 and #messages > 0
    end)
    H.result.messages = messages
  end
end)
