import '../node/polyfill.js'
