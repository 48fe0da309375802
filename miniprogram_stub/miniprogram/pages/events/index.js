// 招聘会与培训: a placeholder the issue-23 work replaces.
Page({
  data: {},
})
