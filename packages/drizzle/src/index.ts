import './augment.js'

export * from './api.js'
