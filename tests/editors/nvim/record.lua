-- `:Teamlore record` on a forwarded error: the fix typed into vim.ui.input is stored
-- as a bug record, and hover over the error shows it right away.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/harness.lua")

local LINE = tonumber(os.getenv("TEAMLORE_TEST_LINE"))
local MESSAGE = os.getenv("TEAMLORE_TEST_MESSAGE")
local FIX = os.getenv("TEAMLORE_TEST_FIX")
local BUGS = os.getenv("TEAMLORE_TEST_BUGS")

H.run(function()
  H.setup()
  local buf, client = H.open_and_attach()
  local prompts = {}
  vim.ui.input = function(opts, on_confirm)
    table.insert(prompts, opts.prompt)
    on_confirm(FIX)
  end

  local other = vim.api.nvim_create_namespace("test-runner")
  vim.diagnostic.set(other, buf, {
    { lnum = LINE, col = 0, end_col = 10, severity = vim.diagnostic.severity.ERROR, source = "pytest", message = MESSAGE },
  })
  -- Before recording: hover has no past fix to offer.
  H.result.hover_before = H.wait(10000, "hover on the forwarded error", function()
    return H.hover_text(buf, client, LINE, 2)
  end)

  vim.api.nvim_win_set_cursor(0, { LINE + 1, 2 })
  vim.cmd("Teamlore record")
  H.wait(10000, "the bug record file", function()
    return #vim.fn.globpath(BUGS, "*.json", false, true) > 0
  end)
  H.result.prompts = prompts
  H.result.hover_after = H.wait(10000, "hover showing the recorded fix", function()
    local text = H.hover_text(buf, client, LINE, 2)
    return text and text:find(FIX, 1, true) and text
  end)
end)
