--- The model's state as the server reports it (`coderev/status`): remembered per client, shown
--- by the status line and `:Coderev status`. `require('coderev')` re-exports these functions.
local M = {}

local function coderev()
  return require('coderev')
end

local call = require('coderev.util').call

--- The last `coderev/status` payload of each client, by client id.
---@type table<integer, table>
M._model = {}

-- JSON null arrives as vim.NIL.
function M.value(x)
  if x == vim.NIL then
    return nil
  end
  return x
end

--- Remembers a client's model state (the `coderev/status` handler of the client config calls it).
---@param client_id integer
---@param payload table
function M.set_model_state(client_id, payload)
  if type(payload) == 'table' and type(M.value(payload.mode)) == 'string' then
    M._model[client_id] = payload
  end
end

--- The last model state reported by the server of `bufnr`'s client (or any client), or nil.
---@param bufnr integer|nil
---@return table|nil payload the `coderev/status` payload
---@return table|nil client
function M.model_state(bufnr)
  local clients = coderev().clients(bufnr)
  if #clients == 0 and bufnr == nil then
    clients = coderev().clients()
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
  local slot = M.value(payload.modelSlot)
  if type(slot) ~= 'string' then
    return M.value(payload.production) or ''
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
  local mode = M.value(payload.mode)
  local err = type(M.value(payload.error)) == 'table' and payload.error or {}
  local code = M.value(err.code)
  if mode == 'ready' then
    local slot = full and M.value(payload.modelSlot) or slot_name(payload)
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
  local ok, clients = pcall(coderev().clients, bufnr)
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

--- Lines about one client's model for `:Coderev status`: state, slot, error, device.
function M.lines(client)
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
  local e = M.value(payload.error)
  if type(e) == 'table' and (M.value(e.code) or M.value(e.message)) then
    table.insert(lines, string.format('  model error: %s %s', M.value(e.code) or '', M.value(e.message) or ''))
  end
  local details = {}
  for _, field in ipairs({ 'device', 'computeType', 'breaker', 'queueDepth', 'experimental' }) do
    local v = M.value(payload[field])
    if v ~= nil then
      table.insert(details, field .. ' ' .. tostring(v))
    end
  end
  if #details > 0 then
    table.insert(lines, '  model details: ' .. table.concat(details, ', '))
  end
  return lines
end

return M
