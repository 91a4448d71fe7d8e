export type TaskStatus = 'pending' | 'processing' | 'success' | 'failure';

export interface Task {
  id: string;
  type: string;
  status: TaskStatus;
  owner: string | null;
  image_id: string | null;
  user_id: string | null;
  request_id: string | null;
  input: Record<string, unknown> | null;
  result: Record<string, unknown> | null;
  message: string;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  deleted: boolean;
  deleted_at: number | null;
}
