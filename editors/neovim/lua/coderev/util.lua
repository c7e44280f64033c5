--- Small helpers shared by the plugin's modules: version checks, notifications, client calls.
local M = {}

--- Whether this Neovim is at least `version` ('0.11').
---@param version string
---@return boolean
function M.has(version)
  return vim.fn.has('nvim-' .. version) == 1
end

--- A notification prefixed with the plugin's name.
---@param msg string
---@param level integer|nil
function M.notify(msg, level)
  vim.notify('coderev: ' .. msg, level or vim.log.levels.INFO)
end

--- Calls a client method: with `:` from 0.11 on (the `.` forms are deprecated there).
function M.call(client, method, ...)
  if M.has('0.11') then
    return client[method](client, ...)
  end
  return client[method](...)
end

return M
