// 为你推荐: a placeholder the issue-23 work replaces.
Page({
  data: {},
})
