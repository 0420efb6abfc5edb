import { flushSync, mount } from 'svelte';
import App from './App.svelte';
import './app.css';

mount(App, { target: document.getElementById('app')! });
// Run the first effects now, before the first layout: the search box has focus as soon as the
// window can show it.
flushSync();
