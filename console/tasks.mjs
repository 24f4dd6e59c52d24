/**
 * The caller's background tasks (`GET tasks`, newest first): what add_resource and memory extraction
 * left running, with their status, outcome and times (the API gives epoch seconds; shown in the
 * console's one date format).
 */
import { api } from './api.mjs';
import { formatTime, h, link, table } from './dom.mjs';

const TASKS_SHOWN = 50;

function taskCells(task) {
  const resource = task.resource_id
    ? h('a', { href: link('browse', { uri: task.resource_id }) }, task.resource_id)
    : '';
  const outcome = task.error ? `${task.error_code ?? 'ERROR'}: ${task.error}` : '';
  return [
    task.task_type,
    task.status,
    resource,
    formatTime(task.created_at),
    formatTime(task.updated_at),
    outcome,
  ];
}

export async function tasksView() {
  const tasks = await api('GET', '/api/v1/tasks', { query: { limit: TASKS_SHOWN } });
  return [
    h('h1', {}, 'Tasks'),
    tasks.length === 0
      ? h('p', { class: 'muted' }, 'No background tasks of yours (they are kept for a day).')
      : table(['type', 'status', 'resource', 'created', 'updated', 'error'], tasks.map(taskCells), 'tasks'),
  ];
}
