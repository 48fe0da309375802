// 通知公告 (where a `notice` push opens, ?id=<notice>): the notices for me (my place, my groups),
// newest first, unread ones marked; opening one marks it read (GET /notices/{id}) and shows its
// file and its links (a policy opens 我的政策). docs/NOTICES.md "Reading".
const api = require('../../utils/api')
const config = require('../../utils/config')
const format = require('../../utils/format')

/** One notice as the list shows it. */
function rowOf(item) {
  return {
    id: item.id,
    title: item.title,
    place: item.place ? item.place.name : '',
    published: format.cityTime(item.published_at),
    until: format.dayText(item.valid_until),
    unread: !item.read_at,
  }
}

/** The opened notice: its text, its file and its links. */
function detailOf(item) {
  return {
    id: item.id,
    title: item.title,
    body: item.body,
    place: item.place ? item.place.name : '',
    published: format.cityTime(item.published_at),
    until: format.dayText(item.valid_until),
    attachment: item.attachment
      ? { name: item.attachment.name, size: format.fileSize(item.attachment.size) }
      : null,
    eventId: item.event_id || 0,
    policyId: item.policy_id || 0,
  }
}

Page({
  data: { loading: true, loaded: false, message: '', items: [], unread: 0, opened: null },

  onLoad(query) {
    this.focus = Number((query && query.id) || 0)
  },

  async onShow() {
    await this.load()
    if (this.focus) {
      const id = this.focus
      this.focus = 0
      await this.openNotice(id)
    }
  },

  onPullDownRefresh() {
    return this.load().then(() => wx.stopPullDownRefresh())
  },

  async load() {
    this.setData({ loading: true, message: '' })
    try {
      const mine = await api.request('/notices/mine?per_page=50')
      this.setData({ items: mine.items.map(rowOf), unread: mine.unread, loaded: true })
    } catch (error) {
      this.setData({ message: error.message })
      if (!this.data.loaded) api.showError(error)
    } finally {
      this.setData({ loading: false })
    }
  },

  /** Open one notice (a tap in the list, or the push's ?id=): the server marks it read. */
  async openNotice(id) {
    try {
      const notice = await api.request(`/notices/${id}`)
      const index = this.data.items.findIndex((item) => item.id === notice.id)
      const changes = { opened: detailOf(notice) }
      if (index >= 0 && this.data.items[index].unread) {
        changes[`items[${index}].unread`] = false
        changes.unread = Math.max(0, this.data.unread - 1)
      }
      this.setData(changes)
    } catch (error) {
      api.showError(error)
    }
  },

  onOpen(event) {
    return this.openNotice(Number(event.currentTarget.dataset.id))
  },

  onClose() {
    this.setData({ opened: null })
  },

  /** Download the notice's file with my token and open it (PDF, Word, picture). */
  onAttachment() {
    const opened = this.data.opened
    const session = api.session()
    if (!opened || !opened.attachment || !session) return
    wx.downloadFile({
      url: `${config.baseUrl()}${config.API_PREFIX}/notices/${opened.id}/attachment`,
      header: { Authorization: `Bearer ${session.token}` },
      success: (result) => {
        if (result.statusCode !== 200) return api.showError({ message: '文件下载失败，请稍后再试' })
        if (/\.(png|jpg|jpeg)$/i.test(opened.attachment.name)) return wx.previewImage({ urls: [result.tempFilePath] })
        return wx.openDocument({ filePath: result.tempFilePath, showMenu: true })
      },
      fail: () => api.showError({ message: '文件下载失败，请检查网络' }),
    })
  },

  onPolicy() {
    wx.navigateTo({ url: '/pages/policies/index' })
  },
})
