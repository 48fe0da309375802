// 附近求职者: a placeholder the issue-23 work replaces.
Page({
  data: {},
})
