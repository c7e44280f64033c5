-- :Coderev {status|scan|dismiss|restart|resetLearning}. Everything else loads on first use.
if vim.g.loaded_coderev ~= nil then
  return
end
vim.g.loaded_coderev = 1

local subcommands = { 'status', 'scan', 'dismiss', 'restart', 'resetLearning' }

vim.api.nvim_create_user_command('Coderev', function(opts)
  require('coderev').command(opts.fargs[1])
end, {
  nargs = '?',
  desc = 'coderev: status, scan, dismiss, restart or resetLearning',
  complete = function(arglead)
    return vim.tbl_filter(function(sub)
      return sub:sub(1, #arglead) == arglead
    end, subcommands)
  end,
})
