// 发布岗位: a placeholder the issue-23 work replaces.
Page({
  data: {},
})
