// A list page's paging: page 1 again on pull-down, the next page at the bottom, each page's rows
// appended. The page says how to fetch one page and how to show one item; its data holds items,
// page, hasMore, loaded, loading and message.
const api = require('./api')

/**
 * The handlers of a paged list, to spread into Page({...}). `fetch(page)` (called with the page as
 * `this`) answers one page of the API ({items, total} or {items, has_more}); `rowOf(item)` is what
 * the template shows of one item. A failure shows in `message` (a dialog only before the first
 * page arrived: a list already on screen stays, with the sentence above it).
 */
function pagedList(fetch, rowOf) {
  return {
    onPullDownRefresh() {
      return this.loadPage(1).then(() => wx.stopPullDownRefresh())
    },

    onReachBottom() {
      if (!this.data.hasMore || this.data.loading) return Promise.resolve()
      return this.loadPage(this.data.page + 1)
    },

    async loadPage(page) {
      this.setData({ loading: true, message: '' })
      try {
        const answer = await fetch.call(this, page)
        const rows = answer.items.map(rowOf)
        const items = page === 1 ? rows : this.data.items.concat(rows)
        const more = answer.has_more !== undefined ? answer.has_more : items.length < answer.total
        this.setData({ items, page, hasMore: !!more, loaded: true })
      } catch (error) {
        this.setData({ message: error.message })
        if (!this.data.loaded) api.showError(error)
      } finally {
        this.setData({ loading: false })
      }
    },
  }
}

module.exports = { pagedList }
