// One job in a list: title, wage, employer (verified mark), kind and distance. Tapping it
// triggers `open` with the job's id.
Component({
  properties: {
    job: { type: Object, value: {} },
  },

  methods: {
    onTap() {
      this.triggerEvent('open', { id: this.data.job.id })
    },
  },
})
