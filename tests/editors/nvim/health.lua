-- :checkhealth teamlore, read back from the health buffer.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/harness.lua")

H.run(function()
  H.setup()
  H.open_and_attach()
  vim.cmd("checkhealth teamlore")
  local buf = vim.api.nvim_get_current_buf()
  H.wait(15000, "the health report", function()
    local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
    return text:find("security scanners", 1, true) and text:find("bandit", 1, true)
  end)
  H.result.health = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  H.result.filetype = vim.bo[buf].filetype
end)
