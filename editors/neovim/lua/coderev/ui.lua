--- What the plugin does in a buffer coderev attaches to, besides the LSP client itself:
---
--- - `virtual_text` (default `true`): inline messages for coderev's diagnostics. Neovim 0.11
---   turned virtual text off by default; this turns it on again for coderev's diagnostic
---   namespaces only (`vim.diagnostic.config({ virtual_text = ... }, ns)`), and only when your
---   own `vim.diagnostic.config()` shows neither `virtual_text` nor `virtual_lines` and you did
---   not configure those namespaces yourself. `false` leaves everything to you; a table is passed
---   on as the virtual text options (`{ prefix = '!', spacing = 2 }`).
--- - `hover_key` (default `'K'`): a buffer-local normal-mode mapping to `vim.lsp.buf.hover()` on
---   Neovim older than 0.10 (where `K` runs 'keywordprg'; 0.10+ maps `K` itself), unless that key
---   is already mapped. `false`: no mapping.
---
--- Set them with `require('coderev').setup({ virtual_text = ..., hover_key = ... })`, or, with
--- `vim.lsp.enable('coderev')` and no setup(), with `vim.g.coderev = { virtual_text = ... }`.
local M = {}

M.defaults = { virtual_text = true, hover_key = 'K' }

--- The options given to setup(), or nil (then `vim.g.coderev` counts).
---@type table|nil
M.options = nil

--- Keys of setup()'s options that are the plugin's, not the LSP client's.
M.keys = { 'virtual_text', 'hover_key' }

--- The options in force: setup()'s, else `vim.g.coderev`, over the defaults.
---@return table
function M.get()
  local given = M.options
  if given == nil and type(vim.g.coderev) == 'table' then
    given = vim.g.coderev
  end
  return vim.tbl_extend('force', M.defaults, given or {})
end

--- Moves the plugin's own keys out of setup()'s `opts` (the rest is the client config).
---@param opts table
function M.take(opts)
  local options = {}
  for _, key in ipairs(M.keys) do
    if opts[key] ~= nil then
      options[key] = opts[key]
      opts[key] = nil
    end
  end
  M.options = options
end

local function on(value)
  return value ~= nil and value ~= false
end

--- The diagnostic namespaces of a client: pushed and pulled (0.10+), or the one of 0.7 to 0.9.
---@param client table
---@return integer[]
function M.namespaces(client)
  local d = vim.lsp.diagnostic
  if vim.fn.has('nvim-0.10') == 1 then
    return { d.get_namespace(client.id, false), d.get_namespace(client.id, true) }
  end
  return { d.get_namespace(client.id) }
end

--- Turns virtual text on for the client's namespaces (see the module doc for when it does).
---@param client table
---@param value boolean|table
---@return boolean applied
function M.virtual_text(client, value)
  if not on(value) then
    return false
  end
  local global = vim.diagnostic.config() or {}
  if on(global.virtual_text) or on(global.virtual_lines) then
    return false -- already shown the way the user wants it
  end
  local applied = false
  for _, ns in ipairs(M.namespaces(client)) do
    local own = vim.diagnostic.config(nil, ns) or {}
    if own.virtual_text == nil and own.virtual_lines == nil then
      vim.diagnostic.config({ virtual_text = value }, ns)
      applied = true
    end
  end
  return applied
end

--- Maps `key` to hover in `bufnr` on Neovim < 0.10 unless it is mapped already.
---@param bufnr integer
---@param key string|false|nil
---@return boolean mapped
function M.hover_key(bufnr, key)
  if type(key) ~= 'string' or key == '' or vim.fn.has('nvim-0.10') == 1 then
    return false
  end
  local mapped = vim.api.nvim_buf_call(bufnr, function()
    return vim.fn.maparg(key, 'n') ~= ''
  end)
  if mapped then
    return false
  end
  vim.keymap.set('n', key, vim.lsp.buf.hover, { buffer = bufnr, desc = 'coderev: hover (vim.lsp.buf.hover)' })
  return true
end

--- Called for every buffer a coderev client attaches to (LspAttach on 0.8+, on_attach on 0.7).
---@param client table
---@param bufnr integer
function M.attach(client, bufnr)
  local options = M.get()
  M.virtual_text(client, options.virtual_text)
  M.hover_key(bufnr, options.hover_key)
end

return M
