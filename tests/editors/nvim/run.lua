-- `:Teamlore run {cmd}` runs `teamlore run -- {cmd}` in a terminal split; the CLI puts
-- the error into .teamlore/.inbox/, the server picks it up, and the error shows as a
-- diagnostic on the raising line.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/harness.lua")

H.run(function()
  H.setup()
  local buf, client = H.open_and_attach()
  local closed = nil
  vim.api.nvim_create_autocmd("TermClose", { once = true, callback = function(args) closed = vim.v.event.status end })
  vim.cmd("Teamlore run " .. H.env.python .. " app.py")
  H.result.marked_as_cli_run = vim.b.teamlore_run == true
  H.wait(20000, "the command to finish", function() return closed ~= nil end)
  H.result.exit_status = closed
  local d = H.wait(10000, "the diagnostic from the run", function()
    for _, d in ipairs(H.own_diagnostics(buf, client)) do
      if d.source == "teamlore" then
        return d
      end
    end
  end)
  H.result.diagnostic = { lnum = d.lnum, message = d.message }
end)
