-- A security finding forwarded from another source is republished by teamlore with
-- its triage data; the "Mark as false positive…" code action, applied as a user would
-- (vim.lsp.buf.code_action, reason typed into vim.ui.input), writes the decision and
-- the finding disappears from teamlore's diagnostics; `:Teamlore acceptrisk {reason}`
-- does the same for the finding under the cursor.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/harness.lua")

local LINE = tonumber(os.getenv("TEAMLORE_TEST_LINE"))
local REASON = os.getenv("TEAMLORE_TEST_REASON")
local RISK_LINE = tonumber(os.getenv("TEAMLORE_TEST_RISK_LINE"))
local RISK_REASON = os.getenv("TEAMLORE_TEST_RISK_REASON")

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
    { lnum = RISK_LINE, col = 0, end_col = 10, severity = vim.diagnostic.severity.WARN, source = "bandit",
      code = "B108", message = "Probable insecure usage of temp file/directory." },
  })

  local function finding(lnum)
    for _, d in ipairs(H.own_diagnostics(buf, client)) do
      local data = d.user_data and d.user_data.lsp and d.user_data.lsp.data
      if type(data) == "table" and data.teamlore == "finding" and (lnum or LINE) == d.lnum then
        return d
      end
    end
  end
  local f = H.wait(10000, "teamlore to republish the finding", function()
    return finding(RISK_LINE) and finding(LINE)
  end)
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
  H.result.risk_still_shown = finding(RISK_LINE) ~= nil
  H.step("finding gone")

  -- The same from the command line, reason given as argument: no prompt.
  vim.api.nvim_win_set_cursor(0, { RISK_LINE + 1, 3 })
  vim.cmd("Teamlore acceptrisk " .. RISK_REASON)
  H.wait(10000, "the accepted finding to disappear", function()
    return finding(RISK_LINE) == nil
  end)
  H.result.prompts_total = #prompts
  H.step("risk accepted")
end)
