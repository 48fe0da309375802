// 我的申领: a placeholder the issue-23 work replaces.
Page({
  data: {},
})
