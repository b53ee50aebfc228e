-- `:Teamlore matches` shows the past fixes of the error under the cursor in a floating
-- window (and no message besides); `:Teamlore debt` shows the debt report in a markdown split; `:Teamlore pending`
-- says when no proposal waits; an unknown subcommand names the valid ones.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/harness.lua")

local LINE = tonumber(os.getenv("TEAMLORE_TEST_LINE"))
local MESSAGE = os.getenv("TEAMLORE_TEST_MESSAGE")

local function float_lines()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= "" then
      return vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false)
    end
  end
end

H.run(function()
  H.setup()
  local buf, client = H.open_and_attach()
  local other = vim.api.nvim_create_namespace("other-linter")
  vim.diagnostic.set(other, buf, {
    { lnum = LINE, col = 0, end_col = 16, severity = vim.diagnostic.severity.ERROR, source = "pytest", message = MESSAGE },
  })
  -- The server's "seen before" diagnostic: the memory is loaded.
  H.wait(10000, "teamlore's diagnostic for the forwarded error", function()
    return #H.own_diagnostics(buf, client) > 0
  end)
  vim.ui.select = function()
    error("asked to choose although both diagnostics are the same error")
  end
  local messages = {}
  vim.notify = function(msg)
    table.insert(messages, msg)
  end
  vim.api.nvim_win_set_cursor(0, { LINE + 1, 3 })
  vim.cmd("Teamlore matches")
  H.result.matches = H.wait(10000, "the floating window with past fixes", float_lines)
  -- The server's window/showMessage would have been handled before the result it precedes.
  H.result.matches_messages = vim.deepcopy(messages)
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= "" then
      vim.api.nvim_win_close(win, true)
    end
  end
  H.step("matches shown")

  vim.cmd("Teamlore debt")
  local report = H.wait(10000, "the debt report split", function()
    local b = vim.api.nvim_get_current_buf()
    if b ~= buf and vim.bo[b].filetype == "markdown" then
      return b
    end
  end)
  H.result.debt = vim.api.nvim_buf_get_lines(report, 0, -1, false)
  H.result.debt_name = vim.api.nvim_buf_get_name(report)
  H.step("debt shown")

  messages = {}
  vim.cmd("Teamlore pending")
  H.wait(10000, "the answer about proposed fixes", function()
    return #messages > 0
  end)
  vim.cmd("Teamlore bogus")
  H.result.messages = messages
  H.result.completion = vim.fn.getcompletion("Teamlore ", "cmdline")
end)
