-- A security finding forwarded from another source is republished by teamlore with
-- its triage data; the "Mark as false positive…" code action, applied as a user would
-- (vim.lsp.buf.code_action, reason typed into vim.ui.input), writes the decision and
-- the finding disappears from teamlore's diagnostics.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/harness.lua")

local LINE = tonumber(os.getenv("TEAMLORE_TEST_LINE"))
local REASON = os.getenv("TEAMLORE_TEST_REASON")

H.run(function()
  H.setup()
  local buf, client = H.open_and_attach()

  local prompts = {}
  vim.ui.input = function(opts, on_confirm)
    table.insert(prompts, opts.prompt)
    on_confirm(REASON)
  end

  local other = vim.api.nvim_create_namespace("bandit-linter")
  vim.diagnostic.set(other, buf, {
    { lnum = LINE, col = 11, end_col = 20, severity = vim.diagnostic.severity.WARN, source = "bandit",
      code = "B105", message = "Possible hardcoded password: 'hunter2'" },
  })

  local function finding()
    for _, d in ipairs(H.own_diagnostics(buf, client)) do
      local data = d.user_data and d.user_data.lsp and d.user_data.lsp.data
      if type(data) == "table" and data.teamlore == "finding" then
        return d
      end
    end
  end
  local f = H.wait(10000, "teamlore to republish the finding", finding)
  H.result.finding = { message = f.message, status = f.user_data.lsp.data.status, rule = f.user_data.lsp.data.rule }
  H.step("finding published")

  vim.api.nvim_win_set_cursor(0, { LINE + 1, 12 })
  local titles = {}
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(action)
      table.insert(titles, action.title)
      return vim.startswith(action.title, "Mark as false positive…")
    end,
  })
  H.result.titles = titles
  H.wait(10000, "the finding to disappear", function()
    return #titles > 0 and finding() == nil
  end)
  H.result.prompts = prompts
  H.result.other_source_kept = #vim.diagnostic.get(buf, { namespace = other })
  H.step("finding gone")
end)
