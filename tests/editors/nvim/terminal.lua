-- A command that fails in a :terminal buffer is sent to the server when the terminal
-- closes; its error appears as a teamlore diagnostic on the raising line of the file.
-- When the same command later succeeds, the diagnostic is cleared.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/harness.lua")

local COMMAND = os.getenv("TEAMLORE_TEST_COMMAND")
local FIXED = os.getenv("TEAMLORE_TEST_FIXED")

H.run(function()
  H.setup()
  local buf, client = H.open_and_attach()

  local function terminal_errors()
    local out = {}
    for _, d in ipairs(H.own_diagnostics(buf, client)) do
      if d.source == "teamlore" then
        table.insert(out, { lnum = d.lnum, message = d.message })
      end
    end
    return out
  end

  local function run_in_terminal()
    local closed = false
    vim.api.nvim_create_autocmd("TermClose", { once = true, callback = function() closed = true end })
    vim.cmd("botright split")
    vim.cmd.terminal(COMMAND)
    H.wait(20000, "the command to finish", function() return closed end)
    vim.cmd("wincmd p")
  end

  run_in_terminal()
  H.step("failing run")
  H.wait(10000, "a diagnostic from the terminal error", function()
    return #terminal_errors() > 0
  end)
  H.result.after_failure = terminal_errors()
  H.result.hover = H.hover_text(buf, client, H.result.after_failure[1].lnum, 4)

  local f = assert(io.open(FIXED, "w"))
  f:write("fixed\n")
  f:close()
  run_in_terminal()
  H.step("passing run")
  H.wait(10000, "the terminal diagnostic to be cleared", function()
    return #terminal_errors() == 0
  end)
  H.result.after_success = terminal_errors()
end)
