// Navigation by role: the tab set each role sees after login, and its home (the first tab).
// Residents (and people not logged in) use the native tabBar of app.json; every other role gets
// its own tabs from the role-tabs component, because WeChat's tabBar is one fixed list of at most
// five pages for the whole app. A role never gets a tab whose page would answer role_forbidden.
const RESIDENT_TABS = [
  { page: 'pages/jobs/index', text: '附近岗位' },
  { page: 'pages/scan/index', text: '扫码签到' },
  { page: 'pages/me/index', text: '我的' },
]

const STAFF_TASKS = { page: 'pages/staff-tasks/index', text: '工作' }

const TABS = {
  resident: RESIDENT_TABS,
  employer: [
    { page: 'pages/employer-jobs/index', text: '岗位管理' },
    { page: 'pages/events/index', text: '招聘会' },
    { page: 'pages/employer-home/index', text: '我的企业' },
  ],
  station_staff: [
    { page: 'pages/station-queue/index', text: '叫号' },
    { page: 'pages/station-review/index', text: '审核' },
    { page: 'pages/station-desk/index', text: '窗口' },
    STAFF_TASKS,
  ],
  operator: [
    { page: 'pages/station-review/index', text: '审核' },
    { page: 'pages/grid-checklist/index', text: '走访' },
    STAFF_TASKS,
  ],
  grid_worker: [{ page: 'pages/grid-checklist/index', text: '走访' }, STAFF_TASKS],
  township_admin: [{ page: 'pages/station-desk/index', text: '窗口' }, STAFF_TASKS],
  district_admin: [STAFF_TASKS],
  city_admin: [STAFF_TASKS],
  supervisor: [STAFF_TASKS],
}

/** The tabs of a role (residents' when the role is unknown or nobody is logged in). */
function tabsOf(role) {
  return TABS[role] || RESIDENT_TABS
}

/** The page a role lands on after login: its first tab, as an absolute URL. */
function homeOf(role) {
  return `/${tabsOf(role)[0].page}`
}

/** Whether a role's tab set has this page (a route without the leading slash). */
function hasTab(role, route) {
  return tabsOf(role).some((tab) => tab.page === String(route).replace(/^\//, ''))
}

module.exports = { TABS, RESIDENT_TABS, tabsOf, homeOf, hasTab }
