-- A terminal error (from `teamlore run` before Neovim started) and the same error set by
-- another source on the same line: hover shows the remembered fix once.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/harness.lua")

local LINE = tonumber(os.getenv("TEAMLORE_TEST_LINE"))
local MESSAGE = os.getenv("TEAMLORE_TEST_MESSAGE")

H.run(function()
  H.setup()
  local buf, client = H.open_and_attach()
  H.wait(15000, "the terminal error", function()
    return #H.terminal_commands(buf, client) > 0
  end)
  local other = vim.api.nvim_create_namespace("other-linter")
  vim.diagnostic.set(other, buf, {
    { lnum = LINE, col = 0, end_col = 30, severity = vim.diagnostic.severity.ERROR, source = "pytest", message = MESSAGE },
  })
  H.wait(10000, "teamlore's diagnostic for the forwarded error", function()
    for _, d in ipairs(H.own_diagnostics(buf, client)) do
      if d.code ~= "terminal" and d.lnum == LINE then
        return true
      end
    end
  end)
  H.step("both diagnostics shown")
  H.result.own = {}
  for _, d in ipairs(H.own_diagnostics(buf, client)) do
    table.insert(H.result.own, { code = d.code or vim.NIL, matches = d.user_data.lsp.data.matches })
  end
  H.result.hover = H.hover_text(buf, client, LINE, 6)
end)
