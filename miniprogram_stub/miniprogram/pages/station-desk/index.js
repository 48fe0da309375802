// 服务窗口: a placeholder the issue-23 work replaces.
Page({
  data: {},
})
