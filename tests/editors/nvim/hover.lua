-- A diagnostic set by another source (as a linter plugin would) is forwarded by the
-- plugin; hovering over it shows the team's past fix.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/harness.lua")

local ERROR_LINE = tonumber(os.getenv("TEAMLORE_TEST_LINE"))
local MESSAGE = os.getenv("TEAMLORE_TEST_MESSAGE")

H.run(function()
  H.setup()
  local buf, client = H.open_and_attach()
  H.result.offset_encoding = client.offset_encoding

  local other = vim.api.nvim_create_namespace("other-linter")
  vim.diagnostic.set(other, buf, {
    { lnum = ERROR_LINE, col = 0, end_col = 16, severity = vim.diagnostic.severity.ERROR,
      source = "pytest", message = MESSAGE },
  })
  H.step("diagnostic set by another namespace")

  -- The server answers the forwarded error with a "seen before" diagnostic of its own.
  local seen = H.wait(10000, "teamlore's own diagnostic for the forwarded error", function()
    for _, d in ipairs(H.own_diagnostics(buf, client)) do
      if d.source == "teamlore" then
        return d
      end
    end
  end)
  H.result.own_diagnostic = { message = seen.message, lnum = seen.lnum, data = seen.user_data.lsp.data }

  H.result.hover = H.hover_text(buf, client, ERROR_LINE, 4)
  H.result.hover_elsewhere = H.hover_text(buf, client, 0, 0) or vim.NIL
  H.step("hovered")
end)
