-- `:help teamlore` and the help tags of the commands open the plugin's help file; the
-- shipped tags file is what :helptags makes of doc/teamlore.txt. No server is needed.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/harness.lua")

local FRESH = os.getenv("TEAMLORE_TEST_FRESH_DOC") -- a copy of doc/ without its tags file

H.run(function()
  H.result.opened = {}
  for _, topic in ipairs({ "teamlore", ":Teamlore-clear", "teamlore-troubleshooting", "teamlore-cmd" }) do
    vim.cmd.help(topic)
    local line = vim.api.nvim_get_current_line()
    table.insert(H.result.opened, {
      topic = topic,
      file = vim.fs.basename(vim.api.nvim_buf_get_name(0)),
      filetype = vim.bo.filetype,
      line = line,
    })
    vim.cmd.helpclose()
  end
  vim.cmd.helptags(vim.fn.fnameescape(FRESH))
  H.result.generated = vim.fn.readfile(FRESH .. "/tags")
  H.result.shipped = vim.fn.readfile(H.env.plugin .. "/doc/tags")
end)
