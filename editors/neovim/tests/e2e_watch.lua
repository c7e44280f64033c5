-- A scenario of tests/e2e.lua about configuration files edited outside the editor. Neovim 0.7
-- cannot register file watchers (its capabilities have no workspace.didChangeWatchedFiles), so
-- the server watches .coderev.toml itself; editing it on disk must change the diagnostics.
return function(scenarios, h)
  function scenarios.config_watch()
    local watched = (vim.lsp.protocol.make_client_capabilities().workspace or {}).didChangeWatchedFiles
    h.log('didChangeWatchedFiles', watched)
    assert(not (watched and watched.dynamicRegistration), 'this Neovim registers file watchers itself')
    local messages = {}
    vim.lsp.handlers['window/logMessage'] = function(_, result)
      table.insert(messages, result.message)
    end
    h.open()
    local buf = vim.api.nvim_get_current_buf()
    h.wait_for('the server to watch the configuration files', function()
      for _, message in ipairs(messages) do
        if message:find('watching the configuration files', 1, true) then
          return message
        end
      end
    end)
    local config = vim.fn.fnamemodify(assert(os.getenv('CODEREV_NVIM_FILE')), ':h') .. '/.coderev.toml'
    local file = assert(io.open(config, 'w'))
    file:write('ignore = ["python.insecure-deserialization.yaml-load"]\n')
    file:close()
    h.wait_for('the ignored finding to go', function()
      return #h.findings(buf) == 0
    end)
    h.log('config applied')
    assert(os.remove(config))
    h.wait_for('the finding to come back', function()
      return #h.findings(buf) == 1
    end)
    h.log('config removed')
  end
end
