--- coderev: local-first security code review (Neovim 0.11+).
---
--- Enable with `vim.lsp.enable('coderev')`; change any field with `vim.lsp.config()`:
---
--- ```lua
--- vim.lsp.config('coderev', {
---   cmd = { vim.fn.expand('~/src/coderev/.venv/bin/coderev'), 'serve' },
---   settings = { coderev = { runMode = 'onSave', ignore = { 'CWE-330' } } },
--- })
--- vim.lsp.enable('coderev')
--- ```
---
--- Every setting is listed in `:help coderev-settings`.

---@type vim.lsp.Config
return require('coderev.config').defaults()
