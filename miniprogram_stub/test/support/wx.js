// A `wx` shim: the part of the mini-program API the pages use. `request` and `uploadFile` go
// over real HTTP (to the backend the tests started); `login`, `requestSubscribeMessage` and the
// phone button's code go through the fake WeChat server, as the real client goes through WeChat.
// Everything a person would do (scan, pick a file, allow location, answer a dialog) is set up
// by the test on `ctl`, and everything the app shows (toasts, dialogs, navigation) is recorded.
const fs = require('fs')
const http = require('http')
const path = require('path')
const { URL } = require('url')

/** POST JSON to the fake WeChat server and return its JSON answer. */
async function fakeWechat(base, route, body) {
  const response = await fetch(`${base}${route}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body || {}),
  })
  if (!response.ok) throw new Error(`fake WeChat ${route} answered ${response.status}`)
  return response.json()
}

/** Encode a flat object as a query string, as wx.request does for GET data. */
function queryString(data) {
  for (const [key, value] of Object.entries(data)) {
    // WeChat would send the text "null", "undefined" or "[object Object]": a page bug.
    if (value === null || value === undefined || (typeof value === 'object' && !Array.isArray(value))) {
      throw new Error(`wx.request GET data ${key}=${value}: leave the key out instead`)
    }
  }
  return Object.keys(data)
    .map((key) => `${encodeURIComponent(key)}=${encodeURIComponent(data[key])}`)
    .join('&')
}

/** Send one HTTP request; resolve {statusCode, header, body} or reject with a network error. */
function send(method, url, headers, body, timeout) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers, timeout }, (response) => {
      const chunks = []
      response.on('data', (chunk) => chunks.push(chunk))
      response.on('end', () =>
        resolve({ statusCode: response.statusCode, header: response.headers, body: Buffer.concat(chunks) }),
      )
    })
    request.on('timeout', () => request.destroy(new Error('timeout')))
    request.on('error', reject)
    if (body) request.write(body)
    request.end()
  })
}

/** Call the success/fail/complete callbacks the way the mini-program runtime does (async). */
function finish(options, error, result) {
  setImmediate(() => {
    if (error) {
      if (options.fail) options.fail(error)
    } else if (options.success) {
      options.success(result)
    }
    if (options.complete) options.complete(error || result)
  })
}

/**
 * Create a fresh phone: `{ wx, ctl }`. `wechatBase` is the fake WeChat server; `openid` is
 * who is holding the phone (a fresh one by default).
 */
function createWx({ wechatBase, openid, phone, app } = {}) {
  const pages = new Set((app && app.pages) || [])
  const tabs = new Set(((app && app.tabBar && app.tabBar.list) || []).map((tab) => tab.pagePath))
  const storage = new Map()
  const networkListeners = []
  const ctl = {
    openid: openid || `o-mp-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`,
    phone: phone || null,
    online: true,
    location: { latitude: 29.7155, longitude: 118.3175 }, // 城中 station, 屯溪
    scanResult: null, // string | null (null: the person cancels)
    chosenFiles: [], // [{ path, name, size }] for chooseMessageFile and chooseMedia
    chosenLocation: null, // {name, address, latitude, longitude} for chooseLocation (null: cancel)
    files: {}, // temporary path → the real file on disk
    subscribeAnswer: (ids) => Object.fromEntries(ids.map((id) => [id, 'accept'])),
    modalConfirm: true,
    toasts: [],
    modals: [],
    navigations: [],
    navigationErrors: [], // what WeChat would have refused (a tab page with navigateTo, …)
    apiDown: false, // our server unreachable while WeChat itself answers
    calls: [], // every wx.request / uploadFile: { method, url, path, statusCode }
    phoneCalls: [],
    clipboard: null, // the text wx.setClipboardData copied last
    channels: [], // wx.openChannelsLive / openChannelsActivity: { api, finderUserName, feedId, nonceId }
    previews: [], // wx.previewImage / showShareImageMenu: { api, urls | path }
    savedImages: [], // wx.saveImageToPhotosAlbum: the real files saved
    albumAllowed: true, // false: the person refuses 保存到相册
    pullDownStopped: 0,
    inflight: 0,
    lastPhoneCode: null,
    accountInfo: { miniProgram: { appId: 'wx0000000000fake00', envVersion: 'develop', version: '' } },

    /** Go offline or back online; listeners of onNetworkStatusChange hear it. */
    setOnline(online) {
      ctl.online = online
      for (const listener of networkListeners) {
        listener({ isConnected: online, networkType: online ? 'wifi' : 'none' })
      }
    },

    /** Mint the code a getPhoneNumber button hands the page (the fake WeChat knows the phone). */
    async phoneCode() {
      const minted = await fakeWechat(wechatBase, '/_fake/codes', { openid: ctl.openid, phone: ctl.phone })
      ctl.phone = minted.phone
      ctl.lastPhoneCode = minted.phone_code
      return minted.phone_code
    },

    /** Resolve once no request is in flight and the callbacks have run. */
    async idle() {
      for (let quiet = 0; quiet < 3; ) {
        await new Promise((resolve) => setImmediate(resolve))
        quiet = ctl.inflight === 0 ? quiet + 1 : 0
        if (ctl.inflight) await new Promise((resolve) => setTimeout(resolve, 5))
      }
    },

    lastToast() {
      return ctl.toasts[ctl.toasts.length - 1] || null
    },

    lastNavigation() {
      return ctl.navigations[ctl.navigations.length - 1] || null
    },

    storage,
  }

  /** Run an HTTP exchange as wx.request/uploadFile would, counting it as in flight. */
  function exchange(api, method, url, headers, body, options, shape) {
    const task = { aborted: false, abort() { task.aborted = true } }
    if (!ctl.online || (ctl.apiDown && !url.startsWith(wechatBase))) {
      finish(options, { errMsg: `${api}:fail network unavailable` })
      return task
    }
    ctl.inflight += 1
    send(method, url, headers, body, options.timeout || 60000)
      .then(
        (response) => {
          ctl.calls.push({ method, url, path: new URL(url).pathname, statusCode: response.statusCode })
          if (task.aborted) return finish(options, { errMsg: `${api}:fail abort` })
          finish(options, null, shape(response))
        },
        (error) => finish(options, { errMsg: `${api}:fail ${error.message}` }),
      )
      .finally(() => {
        ctl.inflight -= 1
      })
    return task
  }

  const wx = {
    // Storage: values are kept as JSON, as the real storage serialises them.
    setStorageSync(key, value) {
      storage.set(key, JSON.stringify(value))
    },
    getStorageSync(key) {
      return storage.has(key) ? JSON.parse(storage.get(key)) : ''
    },
    removeStorageSync(key) {
      storage.delete(key)
    },
    clearStorageSync() {
      storage.clear()
    },
    setStorage(options) {
      wx.setStorageSync(options.key, options.data)
      finish(options, null, { errMsg: 'setStorage:ok' })
    },
    getStorage(options) {
      if (!storage.has(options.key)) return finish(options, { errMsg: 'getStorage:fail data not found' })
      finish(options, null, { data: wx.getStorageSync(options.key), errMsg: 'getStorage:ok' })
    },

    request(options) {
      const method = (options.method || 'GET').toUpperCase()
      const headers = { ...(options.header || {}) }
      let url = options.url
      let body = null
      const data = options.data
      if (method === 'GET') {
        if (data && typeof data === 'object' && Object.keys(data).length) {
          url += (url.includes('?') ? '&' : '?') + queryString(data)
        }
      } else if (data !== undefined) {
        body = typeof data === 'string' ? data : JSON.stringify(data)
        const type = Object.keys(headers).find((key) => key.toLowerCase() === 'content-type')
        if (!type) headers['Content-Type'] = 'application/json'
      }
      return exchange('request', method, url, headers, body, options, (response) => {
        const text = response.body.toString('utf8')
        let parsed = text
        if ((options.dataType || 'json') === 'json') {
          try {
            parsed = JSON.parse(text)
          } catch {
            parsed = text // wx.request hands over the text when it is not JSON
          }
        }
        return { statusCode: response.statusCode, data: parsed, header: response.header, errMsg: 'request:ok' }
      })
    },

    uploadFile(options) {
      const boundary = `----wxshim${Math.random().toString(16).slice(2)}`
      const file = ctl.files[options.filePath] || options.filePath
      if (!fs.existsSync(file)) {
        finish(options, { errMsg: `uploadFile:fail file not found ${options.filePath}` })
        return { abort() {} }
      }
      const parts = []
      for (const [key, value] of Object.entries(options.formData || {})) {
        parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${key}"\r\n\r\n${value}\r\n`))
      }
      parts.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${options.name}"; ` +
            `filename="${path.basename(options.filePath)}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
        ),
        fs.readFileSync(file),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      )
      const body = Buffer.concat(parts)
      const headers = {
        ...(options.header || {}),
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': body.length,
      }
      // uploadFile hands the body over as text, never parsed.
      return exchange('uploadFile', 'POST', options.url, headers, body, options, (response) => ({
        statusCode: response.statusCode,
        data: response.body.toString('utf8'),
        errMsg: 'uploadFile:ok',
      }))
    },

    login(options) {
      if (!ctl.online) return finish(options, { errMsg: 'login:fail network unavailable' })
      ctl.inflight += 1
      fakeWechat(wechatBase, '/_fake/codes', { openid: ctl.openid, phone: ctl.phone })
        .then(
          (minted) => finish(options, null, { code: minted.code, errMsg: 'login:ok' }),
          (error) => finish(options, { errMsg: `login:fail ${error.message}` }),
        )
        .finally(() => {
          ctl.inflight -= 1
        })
    },

    requestSubscribeMessage(options) {
      if (!ctl.online) return finish(options, { errMsg: 'requestSubscribeMessage:fail network', errCode: 10002 })
      if (!options.tmplIds || !options.tmplIds.length || options.tmplIds.length > 3) {
        return finish(options, { errMsg: 'requestSubscribeMessage:fail tmplIds: 1 to 3 ids', errCode: 20003 })
      }
      const answers = ctl.subscribeAnswer(options.tmplIds)
      // WeChat itself records an "accept": that is what lets the server send one message.
      const accepted = options.tmplIds.filter((id) => answers[id] === 'accept')
      ctl.inflight += 1
      Promise.all(
        accepted.map((id) =>
          fakeWechat(wechatBase, '/_fake/subscriptions', { openid: ctl.openid, template_id: id, count: 1 }),
        ),
      )
        .then(
          () => finish(options, null, { ...answers, errMsg: 'requestSubscribeMessage:ok' }),
          (error) => finish(options, { errMsg: `requestSubscribeMessage:fail ${error.message}` }),
        )
        .finally(() => {
          ctl.inflight -= 1
        })
    },

    scanCode(options) {
      if (ctl.scanResult === null) return finish(options, { errMsg: 'scanCode:fail cancel' })
      finish(options, null, { result: ctl.scanResult, scanType: 'QR_CODE', charSet: 'UTF-8', errMsg: 'scanCode:ok' })
    },

    getLocation(options) {
      // Without type 'gcj02' WeChat gives WGS-84: hundreds of metres off on China's maps.
      if (options.type !== 'gcj02') throw new Error("wx.getLocation without type: 'gcj02'")
      if (!ctl.location) return finish(options, { errMsg: 'getLocation:fail auth deny' })
      finish(options, null, { ...ctl.location, accuracy: 30, errMsg: 'getLocation:ok' })
    },

    chooseMessageFile(options) {
      // The picker offers only files with the extensions asked for.
      const offered = ctl.chosenFiles.filter(
        (file) => !options.extension || options.extension.includes(path.extname(file.name || file.path).slice(1).toLowerCase()),
      )
      if (offered.length !== ctl.chosenFiles.length) throw new Error('the file picker would not offer that file')
      if (!ctl.chosenFiles.length) return finish(options, { errMsg: 'chooseMessageFile:fail cancel' })
      // WeChat hands over a temporary path (named tmp_…) and, apart, the name from the chat.
      const tempFiles = ctl.chosenFiles.map((file) => {
        const temporary = `wxfile://tmp_${Math.random().toString(16).slice(2, 14)}${path.extname(file.path)}`
        ctl.files[temporary] = file.path
        return {
          path: temporary,
          name: file.name || path.basename(file.path),
          size: file.size === undefined ? fs.statSync(file.path).size : file.size,
          type: 'file',
        }
      })
      finish(options, null, { tempFiles, errMsg: 'chooseMessageFile:ok' })
    },

    chooseMedia(options) {
      // Photos from the album or the camera (ctl.chosenFiles, as for chooseMessageFile).
      if (!ctl.chosenFiles.length) return finish(options, { errMsg: 'chooseMedia:fail cancel' })
      const tempFiles = ctl.chosenFiles.slice(0, options.count || 9).map((file) => {
        const temporary = `wxfile://tmp_${Math.random().toString(16).slice(2, 14)}${path.extname(file.path)}`
        ctl.files[temporary] = file.path
        return { tempFilePath: temporary, size: fs.statSync(file.path).size, fileType: 'image' }
      })
      finish(options, null, { tempFiles, type: 'image', errMsg: 'chooseMedia:ok' })
    },

    chooseLocation(options) {
      // The map picker: ctl.chosenLocation {name, address, latitude, longitude}, null: cancelled.
      // WeChat refuses it unless app.json declares it (requiredPrivateInfos).
      if (app && !(app.requiredPrivateInfos || []).includes('chooseLocation')) {
        throw new Error("wx.chooseLocation is not declared in app.json's requiredPrivateInfos")
      }
      if (!ctl.chosenLocation) return finish(options, { errMsg: 'chooseLocation:fail cancel' })
      finish(options, null, { ...ctl.chosenLocation, errMsg: 'chooseLocation:ok' })
    },

    getNetworkType(options) {
      finish(options, null, { networkType: ctl.online ? 'wifi' : 'none', errMsg: 'getNetworkType:ok' })
    },
    onNetworkStatusChange(listener) {
      networkListeners.push(listener)
    },
    offNetworkStatusChange(listener) {
      const index = networkListeners.indexOf(listener)
      if (index >= 0) networkListeners.splice(index, 1)
    },

    getAccountInfoSync() {
      return JSON.parse(JSON.stringify(ctl.accountInfo))
    },

    showToast(options) {
      // With an icon WeChat shows at most 7 characters of the title.
      if ((options.icon || 'success') !== 'none' && [...String(options.title)].length > 7) {
        throw new Error(`toast "${options.title}" is cut after 7 characters with an icon: use icon 'none'`)
      }
      ctl.toasts.push({ title: options.title, icon: options.icon || 'success' })
      finish(options, null, { errMsg: 'showToast:ok' })
    },
    showModal(options) {
      ctl.modals.push({ title: options.title, content: options.content })
      finish(options, null, { confirm: ctl.modalConfirm, cancel: !ctl.modalConfirm, errMsg: 'showModal:ok' })
    },
    showLoading(options) {
      finish(options || {}, null, { errMsg: 'showLoading:ok' })
    },
    hideLoading(options) {
      finish(options || {}, null, { errMsg: 'hideLoading:ok' })
    },
    stopPullDownRefresh() {
      ctl.pullDownStopped += 1
    },
    setNavigationBarTitle(options) {
      finish(options, null, { errMsg: 'setNavigationBarTitle:ok' })
    },
    makePhoneCall(options) {
      ctl.phoneCalls.push(options.phoneNumber)
      finish(options, null, { errMsg: 'makePhoneCall:ok' })
    },
    setClipboardData(options) {
      ctl.clipboard = String(options.data) // what the person can paste elsewhere
      finish(options, null, { errMsg: 'setClipboardData:ok' })
    },

    // 视频号: a live stream (finder id) or one video, a replay (finder id, feed id, nonce id).
    openChannelsLive(options) {
      if (!/^sph[0-9A-Za-z_-]{4,60}$/.test(options.finderUserName || '')) {
        return finish(options, { errMsg: 'openChannelsLive:fail invalid finderUserName' })
      }
      ctl.channels.push({ api: 'openChannelsLive', finderUserName: options.finderUserName })
      finish(options, null, { errMsg: 'openChannelsLive:ok' })
    },
    openChannelsActivity(options) {
      if (!options.finderUserName || !options.feedId) {
        return finish(options, { errMsg: 'openChannelsActivity:fail invalid feedId' })
      }
      ctl.channels.push({
        api: 'openChannelsActivity',
        finderUserName: options.finderUserName,
        feedId: options.feedId,
        nonceId: options.nonceId,
      })
      finish(options, null, { errMsg: 'openChannelsActivity:ok' })
    },

    // downloadFile: a real GET, the body kept as a temporary file (http://tmp/… as WeChat names it).
    downloadFile(options) {
      return exchange('downloadFile', 'GET', options.url, { ...(options.header || {}) }, null, options, (response) => {
        const temporary = `http://tmp/wxshim_${Math.random().toString(16).slice(2, 14)}`
        const file = path.join(require('os').tmpdir(), path.basename(temporary))
        fs.writeFileSync(file, response.body)
        ctl.files[temporary] = file
        return { statusCode: response.statusCode, tempFilePath: temporary, errMsg: 'downloadFile:ok' }
      })
    },
    previewImage(options) {
      ctl.previews.push({ api: 'previewImage', urls: options.urls, current: options.current })
      finish(options, null, { errMsg: 'previewImage:ok' })
    },
    openDocument(options) {
      // A downloaded document opened in WeChat's viewer (recorded with its bytes' file).
      if (!ctl.files[options.filePath]) return finish(options, { errMsg: 'openDocument:fail file not found' })
      ctl.previews.push({ api: 'openDocument', path: options.filePath, file: ctl.files[options.filePath] })
      finish(options, null, { errMsg: 'openDocument:ok' })
    },
    showShareImageMenu(options) {
      if (!ctl.files[options.path]) return finish(options, { errMsg: 'showShareImageMenu:fail file not found' })
      ctl.previews.push({ api: 'showShareImageMenu', path: options.path })
      finish(options, null, { errMsg: 'showShareImageMenu:ok' })
    },
    saveImageToPhotosAlbum(options) {
      if (!ctl.albumAllowed) return finish(options, { errMsg: 'saveImageToPhotosAlbum:fail auth deny' })
      const file = ctl.files[options.filePath]
      if (!file) return finish(options, { errMsg: 'saveImageToPhotosAlbum:fail file not found' })
      ctl.savedImages.push(file)
      finish(options, null, { errMsg: 'saveImageToPhotosAlbum:ok' })
    },
  }
  /** Why WeChat would refuse this navigation (as its errMsg), or null. */
  function refusal(api, url) {
    const [route, search] = String(url || '').replace(/^\//, '').split('?')
    if (!pages.has(route)) return `${api}:fail page "${route}" is not found`
    if ((api === 'navigateTo' || api === 'redirectTo') && tabs.has(route)) {
      return `${api}:fail can not ${api} a tabbar page`
    }
    if (api === 'switchTab' && !tabs.has(route)) return `${api}:fail can not switch to no-tabBar page`
    if (api === 'switchTab' && search) return `${api}:fail query is not supported by switchTab`
    return null
  }
  for (const api of ['navigateTo', 'redirectTo', 'switchTab', 'reLaunch']) {
    wx[api] = (options) => {
      const refused = refusal(api, options.url)
      if (refused) {
        ctl.navigationErrors.push(refused)
        return finish(options, { errMsg: refused })
      }
      ctl.navigations.push({ api, url: options.url })
      finish(options, null, { errMsg: `${api}:ok` })
    }
  }
  wx.navigateBack = (options = {}) => {
    ctl.navigations.push({ api: 'navigateBack', delta: options.delta || 1 })
    finish(options, null, { errMsg: 'navigateBack:ok' })
  }
  return { wx, ctl }
}

module.exports = { createWx, fakeWechat }
