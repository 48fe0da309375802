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

describe('queue-ticket of an out-of-hours visit', () => {
  const ticket = {
    outOfHours: true,
    note: '服务站现在不在开放时间，您的来访已登记。下次开放：12月7日（周一）08:30，开放后再扫码即可取号。',
    queueNumber: null,
    title: '城中就业服务站',
    station: '',
    dayText: '12月5日',
    purposeName: '登记',
    repeated: false,
  }

  test('no empty "您的排队号": says it was out of hours and when to come back', () => {
    const comp = render('queue-ticket', { ticket })
    expect(comp.querySelector('.number')).toBeFalsy()
    expect(comp.querySelector('.label')).toBeFalsy()
    expect(comp.dom.textContent).not.toContain('排队号')
    expect(text(comp, '.closed')).toBe('非开放时间来访，开放后再扫码取号')
    expect(text(comp, '.note')).toBe(ticket.note)
    expect(text(comp, '.title')).toBe('城中就业服务站')
    expect(text(comp, '.day')).toBe('12月5日')
    expect(text(comp, '.purpose')).toBe('登记')
    expect(comp.querySelector('.repeated')).toBeFalsy()
  })

  test('scanned again while closed: not "your original number"; once queued, the number', async () => {
    const comp = render('queue-ticket', { ticket: { ...ticket, repeated: true } })
    expect(text(comp, '.repeated')).toBe('您刚才已登记过这次来访，开放后再扫码即可取号')

    // Scanned after opening: the same visit gets its number.
    comp.setData({ ticket: { ...ticket, outOfHours: false, note: '', queueNumber: 4 } })
    await simulate.sleep(0)
    expect(text(comp, '.label')).toBe('您的排队号')
    expect(text(comp, '.number')).toBe('4')
    expect(comp.querySelector('.closed')).toBeFalsy()
    expect(comp.querySelector('.note')).toBeFalsy()
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
