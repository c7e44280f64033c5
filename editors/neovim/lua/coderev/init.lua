--- coderev for Neovim: starts the coderev language server and implements `:Coderev`.
---
--- Neovim 0.11+ uses `vim.lsp.config`/`vim.lsp.enable` (with `lsp/coderev.lua`); 0.8 to 0.10 use
--- `vim.lsp.start()` from a FileType autocmd; 0.7 uses `vim.lsp.start_client()` and
--- `vim.lsp.buf_attach_client()`.
local M = {}

local NAME = 'coderev'
local util = require('coderev.util')
local has = util.has

--- The `vim.lsp` API this Neovim gets: 'enable' (0.11+), 'start' (0.8 to 0.10) or 'start_client'.
---@return string
function M.api()
  local forced = vim.g.coderev_api -- for tests: run an older API path on a newer Neovim
  if forced == 'start' or forced == 'start_client' then
    return forced
  end
  if has('0.11') and vim.lsp.config ~= nil and vim.lsp.enable ~= nil then
    return 'enable'
  elseif vim.lsp.start ~= nil then
    return 'start'
  end
  return 'start_client'
end

---@type table|nil the client config for 0.7 to 0.10, set by setup()
M._config = nil

local notify, call = util.notify, util.call

--- The resolved client config: `vim.lsp.config.coderev` on 0.11+, else the one setup() made.
---@return table
function M.config()
  if M.api() == 'enable' then
    return vim.deepcopy(vim.lsp.config[NAME] or require('coderev.config').defaults())
  end
  return vim.deepcopy(M._config or require('coderev.config').defaults())
end

--- The running coderev clients, all of them or those attached to `bufnr`.
---@param bufnr integer|nil
---@return table[]
function M.clients(bufnr)
  if vim.lsp.get_clients ~= nil then -- 0.10+
    return vim.lsp.get_clients({ name = NAME, bufnr = bufnr })
  end
  local out = {}
  for _, client in ipairs(vim.lsp.get_active_clients()) do
    if client.name == NAME and (bufnr == nil or vim.lsp.buf_is_attached(bufnr, client.id)) then
      table.insert(out, client)
    end
  end
  return out
end

local function is_stopped(client)
  return call(client, 'is_stopped')
end

--- The workspace root of a buffer: the nearest folder upwards holding a root marker, else the
--- file's folder (the server also analyzes single files).
---@param bufnr integer
---@param markers string[]
---@return string
function M.root_dir(bufnr, markers)
  local name = vim.api.nvim_buf_get_name(bufnr)
  local dir = name ~= '' and vim.fn.fnamemodify(name, ':p:h') or vim.fn.getcwd()
  local current = dir
  while true do
    for _, marker in ipairs(markers or {}) do
      if vim.loop.fs_stat(current .. '/' .. marker) ~= nil then
        return current
      end
    end
    local parent = vim.fn.fnamemodify(current, ':h')
    if parent == current then
      return dir
    end
    current = parent
  end
end

local function can_attach(bufnr, config)
  if not vim.api.nvim_buf_is_valid(bufnr) or vim.bo[bufnr].buftype ~= '' then
    return false
  end
  return vim.tbl_contains(config.filetypes or {}, vim.bo[bufnr].filetype)
end

--- Starts (or reuses) the client for `bufnr` and attaches it, with the API of this Neovim.
---@param bufnr integer|nil the buffer (default: the current one)
---@return integer|nil client_id the client id on 0.7, nil otherwise
function M.start(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local config = M.config()
  if not can_attach(bufnr, config) then
    return nil
  end
  if type(config.root_dir) == 'function' then -- 0.11 style: root_dir(bufnr, on_dir)
    local resolver = config.root_dir
    config.root_dir = nil
    resolver(bufnr, function(dir)
      config.root_dir = dir
    end)
  end
  config.root_dir = config.root_dir or M.root_dir(bufnr, config.root_markers)
  if M.api() ~= 'start_client' then
    local id
    vim.api.nvim_buf_call(bufnr, function()
      id = vim.lsp.start(config, { bufnr = bufnr })
    end)
    return id
  end
  -- 0.7: one client per root, attached to each buffer of that root.
  for _, client in ipairs(M.clients()) do
    if client.config.root_dir == config.root_dir and not is_stopped(client) then
      vim.lsp.buf_attach_client(bufnr, client.id)
      return client.id
    end
  end
  local on_attach = config.on_attach -- 0.7 has no LspAttach event: the plugin's part goes here
  config.on_attach = function(client, attached)
    require('coderev.ui').attach(client, attached)
    if on_attach then
      on_attach(client, attached)
    end
  end
  local id = vim.lsp.start_client(config)
  if id ~= nil then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

--- Configures and enables the server. Every field is optional.
---
--- `opts.cmd` (default `{ 'coderev', 'serve' }`), `opts.filetypes`, `opts.root_markers`,
--- `opts.settings` (the server settings, e.g. `{ runMode = 'onSave' }`), `opts.on_attach`,
--- `opts.capabilities`, `opts.init_options`, and `opts.autostart` (default true). The plugin's
--- own: `opts.virtual_text` (default true: inline messages for coderev's diagnostics) and
--- `opts.hover_key` (default 'K': hover on Neovim < 0.10), see lua/coderev/ui.lua.
---@param opts table|nil
function M.setup(opts)
  opts = vim.deepcopy(opts or {})
  require('coderev.ui').take(opts)
  local autostart = opts.autostart ~= false
  opts.autostart = nil
  if opts.settings ~= nil and type(opts.settings.coderev) ~= 'table' then -- flat: { runMode = ... }
    opts.settings = { coderev = next(opts.settings) == nil and vim.empty_dict() or opts.settings }
  end
  if vim.fn.exists(':Coderev') ~= 2 then -- loaded outside of 'runtimepath' plugin/ sourcing
    vim.cmd('runtime! plugin/coderev.lua')
  end
  if M.api() == 'enable' then
    vim.lsp.config(NAME, opts)
    if autostart then
      vim.lsp.enable(NAME)
    end
    return
  end
  -- Shallow: a list given (filetypes, cmd) replaces the default instead of merging by index.
  local defaults = require('coderev.config').defaults()
  if type(opts.handlers) == 'table' then -- the user's handlers, and ours for what they leave out
    opts.handlers = vim.tbl_extend('force', defaults.handlers, opts.handlers)
  end
  M._config = vim.tbl_extend('force', defaults, opts)
  local group = vim.api.nvim_create_augroup('coderev', { clear = true })
  if not autostart then
    return
  end
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = M._config.filetypes,
    callback = function(args)
      M.start(args.buf)
    end,
    desc = 'coderev: start the language server',
  })
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do -- buffers opened before setup()
    if vim.api.nvim_buf_is_loaded(bufnr) then
      M.start(bufnr)
    end
  end
end

-- Commands (lua/coderev/commands.lua) ------------------------------------------------------------

local commands = require('coderev.commands')
M.dismiss = commands.dismiss
M.scan = commands.scan
M.reset_learning = commands.reset_learning

-- Model state (lua/coderev/model.lua) ---------------------------------------------------------

local model = require('coderev.model')
M._model = model._model
M.set_model_state = model.set_model_state
M.model_state = model.model_state
M.describe_model = model.describe_model
M.statusline = model.statusline
M.request_model_state = model.request_model_state
local model_lines = model.lines

--- Lines describing the clients and this buffer's findings (what `:Coderev status` shows).
---@return string[]
function M.status()
  local bufnr = vim.api.nvim_get_current_buf()
  local config = M.config()
  local lines = { string.format('coderev: Neovim API %s, cmd %s', M.api(), table.concat(config.cmd or {}, ' ')) }
  local clients = M.clients()
  if #clients == 0 then
    table.insert(lines, 'no client running (filetypes: ' .. table.concat(config.filetypes or {}, ', ') .. ')')
  end
  for _, client in ipairs(clients) do
    local info = client.server_info or {}
    local state = is_stopped(client) and 'stopped' or (client.initialized == false and 'starting' or 'running')
    local buffers = {}
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      if vim.lsp.buf_is_attached(b, client.id) then
        table.insert(buffers, tostring(b))
      end
    end
    table.insert(
      lines,
      string.format(
        'client %d %s%s: root %s, buffers [%s]',
        client.id,
        state,
        info.version and (' (server ' .. (info.name or NAME) .. ' ' .. info.version .. ')') or '',
        tostring(client.config.root_dir),
        table.concat(buffers, ', ')
      )
    )
    if not is_stopped(client) then
      vim.list_extend(lines, model_lines(client))
    end
  end
  local count = 0
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.source == NAME then
      count = count + 1
    end
  end
  local attached = #M.clients(bufnr) > 0
  table.insert(
    lines,
    string.format('this buffer: %s, %d finding(s)', attached and 'attached' or 'not attached', count)
  )
  return lines
end

--- Stops the clients and starts them again for the buffers they were attached to.
---@param on_done fun()|nil called once the new clients were started
function M.restart(on_done)
  local clients = M.clients()
  local buffers = {}
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    for _, client in ipairs(clients) do
      if vim.lsp.buf_is_attached(b, client.id) then
        buffers[b] = true
      end
    end
  end
  if next(buffers) == nil then
    buffers[vim.api.nvim_get_current_buf()] = true
  end
  for _, client in ipairs(clients) do
    call(client, 'stop')
  end
  local waited = 0
  local function again()
    local stopped = true
    for _, client in ipairs(clients) do
      stopped = stopped and is_stopped(client)
    end
    if not stopped and waited < 5000 then
      waited = waited + 50
      vim.defer_fn(again, 50)
      return
    end
    for _, client in ipairs(clients) do
      if not is_stopped(client) then
        call(client, 'stop', true) -- force
      end
    end
    for b in pairs(buffers) do
      M.start(b)
    end
    notify('restarted')
    if on_done then
      on_done()
    end
  end
  again()
end

M.subcommands = { 'status', 'scan', 'dismiss', 'restart', 'resetLearning' }

--- Runs a `:Coderev` subcommand.
---@param sub string|nil
function M.command(sub)
  sub = sub or 'status'
  if sub == 'status' then
    vim.notify(table.concat(M.status(), '\n'))
  elseif sub == 'scan' then
    M.scan()
  elseif sub == 'dismiss' then
    M.dismiss()
  elseif sub == 'restart' then
    M.restart()
  elseif sub == 'resetLearning' then
    M.reset_learning()
  else
    notify('unknown subcommand ' .. sub .. ' (' .. table.concat(M.subcommands, ', ') .. ')', vim.log.levels.ERROR)
  end
end

return M
