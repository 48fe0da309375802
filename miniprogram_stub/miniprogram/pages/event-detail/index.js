// 活动详情: a placeholder the issue-23 work replaces.
Page({
  data: {},
})
