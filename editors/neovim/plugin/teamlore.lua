-- :Teamlore {record|falsepositive|acceptrisk|matches|debt|pending|clear|trust|run {cmd}}
-- The language server itself starts only after require("teamlore").setup().
if vim.g.loaded_teamlore then
  return
end
vim.g.loaded_teamlore = true

vim.api.nvim_create_user_command("Teamlore", function(opts)
  require("teamlore.commands").dispatch(opts)
end, {
  nargs = "+",
  desc = "teamlore: record|falsepositive|acceptrisk|matches|debt|pending|clear|trust|run {cmd}",
  complete = function(arglead, cmdline)
    return require("teamlore.commands").complete(arglead, cmdline)
  end,
})
