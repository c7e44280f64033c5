-- :Coderev {status|scan|dismiss|restart|resetLearning}, and what the plugin does in the buffers a
-- coderev client attaches to (lua/coderev/ui.lua). Everything else loads on first use.
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

-- Neovim 0.8+ (with setup() or vim.lsp.enable); 0.7 has no LspAttach: setup() hooks on_attach.
if vim.fn.exists('##LspAttach') == 1 then
  vim.api.nvim_create_autocmd('LspAttach', {
    group = vim.api.nvim_create_augroup('coderev_attach', { clear = true }),
    desc = 'coderev: inline messages and the hover key',
    callback = function(args)
      local client = args.data and vim.lsp.get_client_by_id(args.data.client_id)
      if client ~= nil and client.name == 'coderev' then
        require('coderev.ui').attach(client, args.buf)
      end
    end,
  })
end
