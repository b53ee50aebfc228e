-- Honest start-up messages. $TEAMLORE_TEST_SERVER is the server command:
--   slow:    a server that waits for the file $TEAMLORE_TEST_GO, then exits with code 3.
--            A command while it starts says so; after the exit, commands and checkhealth
--            say why it did not start.
--   missing: a program that does not exist; commands and checkhealth say the start failed.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/harness.lua")

local PHASE = os.getenv("TEAMLORE_TEST_PHASE")
local SERVER = os.getenv("TEAMLORE_TEST_SERVER")
local GO = os.getenv("TEAMLORE_TEST_GO")

local function teamlore_clients()
  return vim.lsp.get_clients({ name = "teamlore", _uninitialized = true })
end

--- Runs `:Teamlore pending` and returns the message it gave.
local function ask(messages)
  local before = #messages
  vim.cmd("Teamlore pending")
  return H.wait(5000, "a message from :Teamlore pending", function()
    return messages[before + 1]
  end)
end

local function health()
  vim.cmd("checkhealth teamlore")
  local buf = vim.api.nvim_get_current_buf()
  H.wait(15000, "the health report", function()
    local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
    return text:find("security scanners", 1, true) and text:find("semgrep", 1, true)
  end)
  return vim.api.nvim_buf_get_lines(buf, 0, -1, false)
end

H.run(function()
  local messages = H.capture_messages()
  H.setup({ cmd = { SERVER, "lsp" } })
  vim.cmd.edit(vim.fn.fnameescape(H.env.file))
  if PHASE == "slow" then
    H.wait(10000, "a starting client", function()
      local c = teamlore_clients()[1]
      return c and not c.initialized
    end)
    H.result.while_starting = ask(messages)
    local f = assert(io.open(GO, "w"))
    f:write("go\n")
    f:close()
    H.wait(10000, "the server to exit", function()
      return #teamlore_clients() == 0
    end)
    H.step("server exited")
  else
    -- Neovim reports the failed start itself (a warning), after the FileType event.
    H.result.neovim_said = H.wait(10000, "Neovim's message about the failed start", function()
      for _, m in ipairs(messages) do
        if m:find("Spawning language server", 1, true) then
          return m
        end
      end
    end)
  end
  H.result.after_failure = ask(messages)
  H.result.health = health()
end)
