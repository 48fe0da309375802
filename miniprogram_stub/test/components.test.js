/** @jest-environment jsdom */
// The components as WeChat renders them (miniprogram-simulate: the WXML compiled and rendered
// into a DOM): what a person reads on a queue ticket and a job card, and the card's tap.
const path = require('path')
const simulate = require('miniprogram-simulate')

const ROOT = path.resolve(__dirname, '../miniprogram')

const loaded = {} // one definition per component, rendered as often as needed

/** Render a component with `props` into the page and return it. */
function render(name, props) {
  if (!loaded[name]) loaded[name] = simulate.load(path.join(ROOT, 'components', name, 'index'), { rootPath: ROOT })
  const comp = simulate.render(loaded[name], props)
  comp.attach(document.createElement('parent-wrapper'))
  return comp
}

const text = (comp, selector) => {
  const node = comp.querySelector(selector)
  return node ? node.dom.textContent.trim() : null
}

describe('queue-ticket', () => {
  const ticket = {
    queueNumber: 17,
    title: '城中就业服务站',
    station: '',
    dayText: '11月29日',
    purposeName: '求职',
    repeated: false,
  }

  test('shows the number, the station, the day and why the person came', () => {
    const comp = render('queue-ticket', { ticket })
    expect(text(comp, '.number')).toBe('17')
    expect(text(comp, '.title')).toBe('城中就业服务站')
    expect(text(comp, '.day')).toBe('11月29日')
    expect(text(comp, '.purpose')).toBe('求职')
    // A station's own ticket: no second place line, and a first check-in says nothing more.
    expect(comp.querySelector('.station')).toBeFalsy()
    expect(comp.querySelector('.repeated')).toBeFalsy()
  })

  test('an earlier check-in given back says so; an event names its station below', async () => {
    const comp = render('queue-ticket', {
      ticket: { ...ticket, queueNumber: 3, title: '城中春风招聘会', station: '城中就业服务站', purposeName: '活动签到', repeated: true },
    })
    expect(text(comp, '.number')).toBe('3')
    expect(text(comp, '.title')).toBe('城中春风招聘会')
    expect(text(comp, '.station')).toBe('城中就业服务站')
    expect(text(comp, '.repeated')).toBe('您刚才已签到，这是您的原号码，无需重复排队')

    // The page hands a new ticket over (the next scan): the ticket follows.
    comp.setData({ ticket: { ...ticket, queueNumber: 18 } })
    await simulate.sleep(0)
    expect(text(comp, '.number')).toBe('18')
    expect(comp.querySelector('.repeated')).toBeFalsy()
  })
})

describe('job-card', () => {
  const job = {
    id: 42,
    title: '茶叶包装工',
    employer: '黄山演示老街茶庄',
    verified: true,
    wage: '3500-4500元/月',
    kind: '全职',
    distance: '650米',
  }

  test('shows the title, wage, employer, verified mark, kind and distance', () => {
    const comp = render('job-card', { job })
    expect(text(comp, '.title')).toBe('茶叶包装工')
    expect(text(comp, '.wage')).toBe('3500-4500元/月')
    expect(text(comp, '.employer')).toBe('黄山演示老街茶庄')
    expect(text(comp, '.verified')).toBe('已认证')
    expect(text(comp, '.kind')).toBe('全职')
    expect(text(comp, '.distance')).toBe('650米')

    const unverified = render('job-card', { job: { ...job, verified: false } })
    expect(unverified.querySelector('.verified')).toBeFalsy()
  })

  test("a tap triggers `open` with the job's id", async () => {
    const comp = render('job-card', { job })
    const opened = []
    comp.addEventListener('open', (event) => opened.push(event.detail))
    comp.querySelector('.job-card').dispatchEvent('tap')
    await simulate.sleep(0)
    expect(opened).toEqual([{ id: 42 }])
  })
})
