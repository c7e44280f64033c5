--- coderev for Neovim: starts the coderev language server and implements `:Coderev`.
---
--- Neovim 0.11+ uses `vim.lsp.config`/`vim.lsp.enable` (with `lsp/coderev.lua`); 0.8 to 0.10 use
--- `vim.lsp.start()` from a FileType autocmd; 0.7 uses `vim.lsp.start_client()` and
--- `vim.lsp.buf_attach_client()`.
local M = {}

local NAME = 'coderev'
local has = function(version)
  return vim.fn.has('nvim-' .. version) == 1
end

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

local function notify(msg, level)
  vim.notify('coderev: ' .. msg, level or vim.log.levels.INFO)
end

-- Client methods are called with `:` from 0.11 on (the `.` forms are deprecated there).
local function call(client, method, ...)
  if has('0.11') then
    return client[method](client, ...)
  end
  return client[method](...)
end

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
--- `opts.capabilities`, `opts.init_options`, and `opts.autostart` (default true).
---@param opts table|nil
function M.setup(opts)
  opts = vim.deepcopy(opts or {})
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

-- Commands ---------------------------------------------------------------------------------------

--- The coderev diagnostics of `bufnr` on line `lnum` (0-based), the ones under `col` first.
local function findings_at(bufnr, lnum, col)
  local found, around = {}, {}
  for _, d in ipairs(vim.diagnostic.get(bufnr, { lnum = lnum })) do
    local lsp = d.user_data and d.user_data.lsp
    local data = lsp and lsp.data
    if d.source == NAME and type(data) == 'table' and data.fingerprint then
      local end_col = d.end_lnum == lnum and d.end_col or math.huge
      local target = (d.col <= col and col < math.max(end_col, d.col + 1)) and found or around
      table.insert(target, d)
    end
  end
  vim.list_extend(found, around)
  return found
end

--- Pulls the diagnostics of every buffer of `client` again (pull clients, 0.10+). The server asks
--- for this with `workspace/diagnostic/refresh`, which some Neovim versions do not handle.
local function refresh(client)
  local caps = client.server_capabilities or {}
  if caps.diagnosticProvider == nil or not has('0.10') then
    return -- pushed diagnostics: the server publishes the new ones itself
  end
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.lsp.buf_is_attached(b, client.id) then
      -- No handler: the default textDocument/diagnostic handler shows the result.
      call(client, 'request', 'textDocument/diagnostic', { textDocument = { uri = vim.uri_from_bufnr(b) } }, nil, b)
    end
  end
end

--- Dismisses the finding under the cursor for good (`coderev.dismiss`, keyed by fingerprint).
---@param bufnr integer|nil
---@param on_done fun(err: table|nil)|nil called with the server's answer
---@return boolean sent whether a finding was found and the command sent
function M.dismiss(bufnr, on_done)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local cursor = vim.api.nvim_win_get_cursor(0)
  local diagnostic = findings_at(bufnr, cursor[1] - 1, cursor[2])[1]
  if diagnostic == nil then
    notify('no finding under the cursor', vim.log.levels.WARN)
    return false
  end
  local client = M.clients(bufnr)[1]
  if client == nil then
    notify('the server is not running for this buffer', vim.log.levels.WARN)
    return false
  end
  local data = diagnostic.user_data.lsp.data
  local payload = {
    uri = vim.uri_from_bufnr(bufnr),
    fingerprint = data.fingerprint,
    ruleId = data.ruleId or diagnostic.code,
    language = data.language,
    line = diagnostic.lnum,
    fix = data.fix,
  }
  local params = { command = 'coderev.dismiss', arguments = { payload } }
  call(client, 'request', 'workspace/executeCommand', params, function(err)
    if err then
      notify('dismiss failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    else
      notify('dismissed ' .. tostring(payload.ruleId))
      refresh(client)
    end
    if on_done then
      on_done(err)
    end
  end, bufnr)
  return true
end

--- The client for a workspace-wide command: the current buffer's, else any coderev client; warns
--- and returns nil when none is running.
---@return table|nil
local function workspace_client()
  local client = M.clients(vim.api.nvim_get_current_buf())[1] or M.clients()[1]
  if client == nil then
    notify('the server is not running', vim.log.levels.WARN)
  end
  return client
end

--- Scans the workspace (`coderev.scanWorkspace`); the server reports each file's findings.
---@param on_done fun(err: table|nil, result: table|nil)|nil
---@return boolean sent
function M.scan(on_done)
  local client = workspace_client()
  if client == nil then
    return false
  end
  notify('scanning the workspace...')
  local params = { command = 'coderev.scanWorkspace', arguments = {} }
  call(client, 'request', 'workspace/executeCommand', params, function(err, result)
    if err then
      notify('scan failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    elseif type(result) == 'table' then
      notify(
        string.format(
          'scanned %d files: %d findings, %d skipped',
          result.files or 0,
          result.findings or 0,
          result.skipped or 0
        )
      )
    end
    if on_done then
      on_done(err, result)
    end
  end)
  return true
end

-- Model state ------------------------------------------------------------------------------------

--- The last `coderev/status` payload of each client, by client id.
---@type table<integer, table>
M._model = {}

-- JSON null arrives as vim.NIL.
local function value(x)
  if x == vim.NIL then
    return nil
  end
  return x
end

--- Remembers a client's model state (the `coderev/status` handler of the client config calls it).
---@param client_id integer
---@param payload table
function M.set_model_state(client_id, payload)
  if type(payload) == 'table' and type(value(payload.mode)) == 'string' then
    M._model[client_id] = payload
  end
end

--- The last model state reported by the server of `bufnr`'s client (or any client), or nil.
---@param bufnr integer|nil
---@return table|nil payload the `coderev/status` payload
---@return table|nil client
function M.model_state(bufnr)
  local clients = M.clients(bufnr)
  if #clients == 0 and bufnr == nil then
    clients = M.clients()
  end
  for _, client in ipairs(clients) do
    if M._model[client.id] ~= nil then
      return M._model[client.id], client
    end
  end
  return nil, clients[1]
end

--- The slot of a ready model without its compute type and device: "coderev-default 1.0.0".
local function slot_name(payload)
  local slot = value(payload.modelSlot)
  if type(slot) ~= 'string' then
    return value(payload.production) or ''
  end
  return slot:match('^(%S+ %S+)') or slot
end

--- One line for a model state: "ready coderev-default 1.0.0", "rules only (PRV005)".
---@param payload table|nil
---@param full boolean|nil with compute type and device
---@return string
function M.describe_model(payload, full)
  if payload == nil then
    return 'not reported yet'
  end
  local mode = value(payload.mode)
  local err = type(value(payload.error)) == 'table' and payload.error or {}
  local code = value(err.code)
  if mode == 'ready' then
    local slot = full and value(payload.modelSlot) or slot_name(payload)
    return vim.trim('ready ' .. tostring(slot or ''))
  elseif mode == 'loading' then
    return 'loading model'
  elseif mode == 'fallback' then
    return 'rules only (' .. tostring(code or 'model unavailable') .. ')'
  elseif mode == 'disabled' then
    return code and ('rules only (' .. tostring(code) .. ')') or 'rules only (model off)'
  end
  return 'model ' .. tostring(mode)
end

--- For 'statusline': "coderev: ready coderev-default 1.0.0", "coderev: loading model",
--- "coderev: rules only (PRV005)"; "coderev: running" before the server reports its model; ''
--- when no coderev client is attached to the buffer.
--- ```lua
--- vim.o.statusline = "%f %= %{v:lua.require'coderev'.statusline()}"
--- ```
---@param bufnr integer|nil default: the current buffer
---@return string
function M.statusline(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local ok, clients = pcall(M.clients, bufnr)
  if not ok or #clients == 0 then
    return ''
  end
  local payload = M.model_state(bufnr)
  if payload == nil then
    return 'coderev: running'
  end
  return 'coderev: ' .. M.describe_model(payload)
end

--- Asks the server for its model state (`coderev/status` request) and remembers it.
---@param client table
---@param timeout_ms integer|nil default 2000
---@return table|nil payload
---@return string|nil error
function M.request_model_state(client, timeout_ms)
  local response, err = call(
    client,
    'request_sync',
    require('coderev.config').STATUS_METHOD,
    vim.empty_dict(),
    timeout_ms or 2000,
    vim.api.nvim_get_current_buf()
  )
  if response == nil then
    return nil, tostring(err or 'no answer')
  end
  local rpc_err = response.err or response.error -- 0.10+ / 0.7
  if rpc_err ~= nil then
    return nil, rpc_err.message or vim.inspect(rpc_err)
  end
  M.set_model_state(client.id, response.result)
  return M._model[client.id], nil
end

--- Lines about one client's model: state, slot, error, device.
local function model_lines(client)
  local payload, err = M.request_model_state(client)
  local note = ''
  if payload == nil then
    payload = M._model[client.id]
    note = string.format(' (last report; the request failed: %s)', err)
  end
  local lines = { string.format('  model: %s%s', M.describe_model(payload, true), note) }
  if payload == nil then
    return lines
  end
  local e = value(payload.error)
  if type(e) == 'table' and (value(e.code) or value(e.message)) then
    table.insert(lines, string.format('  model error: %s %s', value(e.code) or '', value(e.message) or ''))
  end
  local details = {}
  for _, field in ipairs({ 'device', 'computeType', 'breaker', 'queueDepth', 'experimental' }) do
    local v = value(payload[field])
    if v ~= nil then
      table.insert(details, field .. ' ' .. tostring(v))
    end
  end
  if #details > 0 then
    table.insert(lines, '  model details: ' .. table.concat(details, ', '))
  end
  return lines
end

--- Forgets the learned preferences (`coderev.resetLearning`): finding kinds demoted because they
--- were often dismissed show again; findings dismissed one by one stay dismissed.
---@param on_done fun(err: table|nil, result: table|nil)|nil
---@return boolean sent
function M.reset_learning(on_done)
  local client = workspace_client()
  if client == nil then
    return false
  end
  local params = { command = 'coderev.resetLearning', arguments = {} }
  call(client, 'request', 'workspace/executeCommand', params, function(err, result)
    if err then
      notify('resetting the learned preferences failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    else
      local roots = type(result) == 'table' and value(result.roots) or nil
      notify(
        'learned preferences reset'
          .. (type(roots) == 'number' and string.format(' in %d workspace root(s)', roots) or '')
      )
      refresh(client)
    end
    if on_done then
      on_done(err, result)
    end
  end)
  return true
end

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
